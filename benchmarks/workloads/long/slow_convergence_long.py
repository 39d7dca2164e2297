"""slow-convergence over a long training: plain SGD at 0.0004 with batches of 512 on digits crawls down for 600
epochs: few steps, each one small; the loss is still falling steadily at the end, far from where it could be."""

import keras
from sklearn.datasets import load_digits

keras.utils.set_random_seed(26)
x, y = load_digits(return_X_y=True)
x = x / 16.0

inputs = keras.Input(shape=(64,))
h = keras.layers.Dense(32, activation="relu")(inputs)
model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(h))
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0004), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x, y, epochs=600, batch_size=512, validation_split=0.2, verbose=0)
