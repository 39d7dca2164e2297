"""dying-relu over a long training: a constant negative bias kills every unit from the first step; 400 epochs."""

import keras
import numpy as np
from sklearn.datasets import load_digits

keras.utils.set_random_seed(0)
x, y = load_digits(return_X_y=True)
x = np.tile(x / 16.0, (2, 1))
y = np.tile(y, 2)

dead = keras.initializers.Constant(-3.0)
model = keras.Sequential(
    [
        keras.Input(shape=(64,)),
        keras.layers.Dense(128, activation="relu", bias_initializer=dead),
        keras.layers.Dense(128, activation="relu", bias_initializer=dead),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=400, batch_size=256, validation_split=0.2, verbose=0)
