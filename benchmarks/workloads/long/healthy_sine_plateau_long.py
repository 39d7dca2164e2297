"""A healthy long regression whose loss sits near the variance of its targets (what predicting their mean scores)
for the first tens of epochs, falling slowly, before the network finds the wiggles of sin(3x); 300 epochs."""

import keras
import numpy as np

keras.utils.set_random_seed(5)
rng = np.random.default_rng(5)
x = rng.uniform(-3, 3, size=(2000, 1)).astype("float32")
y = np.sin(3 * x).astype("float32")

model = keras.Sequential(
    [
        keras.Input(shape=(1,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(3e-4), loss="mse")
model.fit(x, y, epochs=300, batch_size=256, validation_split=0.2, verbose=0)
