"""unscaled-inputs over a long training: raw breast-cancer features (up to ~4000) into a small net; 400 epochs."""

import keras
from sklearn.datasets import load_breast_cancer

keras.utils.set_random_seed(0)
x, y = load_breast_cancer(return_X_y=True)

model = keras.Sequential(
    [
        keras.Input(shape=(30,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=400, batch_size=32, validation_split=0.2, verbose=0)
