"""stalled-loss over a long training: every layer frozen, so nothing can learn; 400 epochs."""

import keras
from sklearn.datasets import load_wine
from sklearn.preprocessing import StandardScaler

keras.utils.set_random_seed(0)
x, y = load_wine(return_X_y=True)
x = StandardScaler().fit_transform(x)

model = keras.Sequential(
    [
        keras.Input(shape=(13,)),
        keras.layers.Dense(32, activation="relu", trainable=False),
        keras.layers.Dense(3, activation="softmax", trainable=False),
    ]
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=400, batch_size=16, validation_split=0.2, verbose=0)
