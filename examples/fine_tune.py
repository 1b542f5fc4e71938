"""Fine-tune a pretrained model on your own classes: a folder with one sub-folder per class.

    python examples/fine_tune.py FOLDER [--model mobilenet_v2] [--size 160] [--epochs 5]
                                 [--fine-tune-epochs 2] [--unfreeze 30] [--out classifier.keras]

`keras.utils.image_dataset_from_directory` reads FOLDER/<class>/*.jpg (a
quarter held out for validation). The pretrained model, without its top,
is frozen and a new classifier is trained on its pooled features; then the
backbone's last `--unfreeze` layers are trained too, a little, at a low
learning rate (the early layers' generic features are best left alone). The model's
preprocessing is part of the saved model, so it takes RGB images in 0..255,
as `image_dataset_from_directory` yields them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from registry_core import registry


def build_classifier(name: str, size: int, classes: int):
    """Raw images -> the model's preprocessing -> the pretrained backbone -> a new softmax head.

    Returns the classifier and its backbone (to unfreeze later).
    """
    import keras

    backbone = registry.get(name)(include_top=False, weights="imagenet", input_shape=(size, size, 3),
                                  pooling="avg")
    backbone.trainable = False
    inputs = keras.Input(shape=(size, size, 3))
    x = registry.preprocess_input(name, inputs)
    x = backbone(x, training=False)  # batch norm keeps its ImageNet statistics, even once unfrozen
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(classes, activation="softmax", name="new_predictions")(x)
    return keras.Model(inputs, outputs, name=f"{name}_fine_tuned"), backbone


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="one sub-folder of images per class")
    parser.add_argument("--model", default="mobilenet_v2")
    parser.add_argument("--size", type=int, default=160)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=5, help="epochs training the new head only")
    parser.add_argument("--fine-tune-epochs", type=int, default=2, help="epochs with the last layers unfrozen")
    parser.add_argument("--unfreeze", type=int, default=30, help="backbone layers trained, from the end")
    parser.add_argument("--out", type=Path, help="save the classifier here (.keras)")
    args = parser.parse_args(argv)

    import keras

    train, validation = keras.utils.image_dataset_from_directory(
        args.folder, validation_split=0.25, subset="both", seed=0, image_size=(args.size, args.size),
        batch_size=args.batch_size, crop_to_aspect_ratio=True, interpolation="bilinear",
    )
    classes = train.class_names
    model, backbone = build_classifier(args.model, args.size, len(classes))

    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(train, validation_data=validation, epochs=args.epochs, verbose=2)
    if args.fine_tune_epochs and args.unfreeze:
        backbone.trainable = True
        for layer in backbone.layers[:max(0, len(backbone.layers) - args.unfreeze)]:
            layer.trainable = False
        model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit(train, validation_data=validation, epochs=args.fine_tune_epochs, verbose=2)

    loss, accuracy = model.evaluate(validation, verbose=0)
    print(f"classes: {', '.join(classes)}; validation accuracy {accuracy:.3f}, loss {loss:.3f}")
    if args.out is not None:
        model.save(args.out)
        print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
