"""underfitting over a long training: an L2 penalty of 0.5 on every kernel pins the weights near zero, so the
loss plateaus far above what the digits allow from the first epochs of 400 on."""

import keras
from keras import layers, regularizers
from sklearn.datasets import load_digits

keras.utils.set_random_seed(47)
x, y = load_digits(return_X_y=True)
x = x / 16.0

model = keras.Sequential(
    [
        keras.Input(shape=(64,)),
        layers.Dense(64, activation="relu", kernel_regularizer=regularizers.l2(0.5)),
        layers.Dense(10, activation="softmax", kernel_regularizer=regularizers.l2(0.5)),
    ]
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=400, batch_size=64, validation_split=0.2, verbose=0)
