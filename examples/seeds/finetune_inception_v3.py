"""The seeds' "Fine-tune InceptionV3 on a new set of classes", on registry-core.

The seeds' code, import lines aside (`registry_inception` in place of
`keras.applications`), with Keras 3's names: `fit` for the removed
`fit_generator`, `SGD(learning_rate=...)` for `SGD(lr=...)`. The seeds leave
the data to the reader (`fit_generator(...)`); a small generated data set
stands in (a few images at a small size, four of the 200 classes, each class
with its own colour), one epoch per phase, so that it runs in a minute on a
CPU. `main()` returns the models and the loss before and after each phase.

    python examples/seeds/finetune_inception_v3.py
"""

import numpy as np

from registry_inception.inception_v3 import InceptionV3
from keras.models import Model
from keras.layers import Dense, GlobalAveragePooling2D
from keras.optimizers import SGD


def generated_data(images=16, size=96, classes=200, used=4, seed=0):
    """Preprocessed images (values in -1..1) and one-hot labels among the first `used` classes."""
    rng = np.random.default_rng(seed)
    labels = np.arange(images) % used
    colours = rng.uniform(-0.6, 0.6, (used, 3))
    x = colours[labels][:, None, None, :] + rng.normal(0, 0.2, (images, size, size, 3))
    return np.clip(x, -1, 1).astype("float32"), np.eye(classes, dtype="float32")[labels]


def main(weights='imagenet', size=96, images=16, batch_size=4, callbacks=None):
    x_train, y_train = generated_data(images, size)

    # create the base pre-trained model
    base_model = InceptionV3(weights=weights, include_top=False)

    # add a global spatial average pooling layer
    x = base_model.output
    x = GlobalAveragePooling2D()(x)
    # let's add a fully-connected layer
    x = Dense(1024, activation='relu')(x)
    # and a logistic layer -- let's say we have 200 classes
    predictions = Dense(200, activation='softmax')(x)

    # this is the model we will train
    model = Model(inputs=base_model.input, outputs=predictions)

    # first: train only the top layers (which were randomly initialized)
    # i.e. freeze all convolutional InceptionV3 layers
    for layer in base_model.layers:
        layer.trainable = False

    # compile the model (should be done *after* setting layers to non-trainable)
    model.compile(optimizer='rmsprop', loss='categorical_crossentropy')
    losses = [model.evaluate(x_train, y_train, batch_size=batch_size, verbose=0)]

    # train the model on the new data for a few epochs
    model.fit(x_train, y_train, batch_size=batch_size, epochs=1, callbacks=callbacks)
    losses.append(model.evaluate(x_train, y_train, batch_size=batch_size, verbose=0))

    # at this point, the top layers are well trained and we can start fine-tuning
    # convolutional layers from inception V3. We will freeze the bottom N layers
    # and train the remaining top layers.

    # let's visualize layer names and layer indices to see how many layers
    # we should freeze:
    for i, layer in enumerate(base_model.layers):
        print(i, layer.name)

    # we chose to train the top 2 inception blocks, i.e. we will freeze
    # the first 249 layers and unfreeze the rest:
    for layer in model.layers[:249]:
        layer.trainable = False
    for layer in model.layers[249:]:
        layer.trainable = True

    # we need to recompile the model for these modifications to take effect
    # we use SGD with a low learning rate
    model.compile(optimizer=SGD(learning_rate=0.0001, momentum=0.9), loss='categorical_crossentropy')

    # we train our model again (this time fine-tuning the top 2 inception blocks
    # alongside the top Dense layers
    model.fit(x_train, y_train, batch_size=batch_size, epochs=1, callbacks=callbacks)
    losses.append(model.evaluate(x_train, y_train, batch_size=batch_size, verbose=0))
    return {"base_model": base_model, "model": model, "losses": losses}


if __name__ == '__main__':
    print('loss before, after training the head, after fine-tuning:', main()['losses'])
