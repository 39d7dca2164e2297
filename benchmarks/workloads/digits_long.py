"""A longer healthy training (≥ 10 s on 2 cores) for the overhead benchmark."""

import keras
import numpy as np
from sklearn.datasets import load_digits

keras.utils.set_random_seed(0)
x, y = load_digits(return_X_y=True)
x = np.tile(x / 16.0, (4, 1))
y = np.tile(y, 4)

model = keras.Sequential(
    [
        keras.Input(shape=(64,)),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=20, batch_size=32, validation_split=0.2, verbose=0)
