"""A healthy long training with a learning-rate warmup: plain SGD whose rate climbs from 0.0001 to 0.05 over the
first 40% of 300 epochs, then decays. It crawls at first and then learns digits well: nothing to report, and
nothing decisive in the crawl (a projection of the first epochs' pace must not call it slow)."""

import keras
from sklearn.datasets import load_digits

keras.utils.set_random_seed(3)
x, y = load_digits(return_X_y=True)
x = x / 16.0

steps = 300 * 12  # 1437 training rows in batches of 128
rate = keras.optimizers.schedules.CosineDecay(1e-4, decay_steps=steps - int(0.4 * steps), warmup_target=0.05,
                                              warmup_steps=int(0.4 * steps))
model = keras.Sequential(
    [
        keras.Input(shape=(64,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
model.compile(optimizer=keras.optimizers.SGD(learning_rate=rate), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x, y, epochs=300, batch_size=128, validation_split=0.2, verbose=0)
