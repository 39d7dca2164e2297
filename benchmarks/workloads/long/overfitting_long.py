"""overfitting over a long training: a wide net on 200 rows of digits, 300 epochs, no early stopping."""

import keras
from sklearn.datasets import load_digits

keras.utils.set_random_seed(0)
x, y = load_digits(return_X_y=True)
x = x / 16.0

model = keras.Sequential(
    [
        keras.Input(shape=(64,)),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x[:250], y[:250], epochs=300, batch_size=32, validation_data=(x[1000:], y[1000:]), verbose=0)
