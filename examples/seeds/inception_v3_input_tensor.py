"""The seeds' "Build InceptionV3 over a custom input tensor", on registry-core.

The seeds' code with only the import line of InceptionV3 changed
(`registry_inception` in place of `keras.applications`). Its global-average
top takes any size, so the pretrained classifier runs on 224x224 images.

    python examples/seeds/inception_v3_input_tensor.py
"""

from registry_inception.inception_v3 import InceptionV3
from keras.layers import Input

# this could also be the output a different Keras model or layer
input_tensor = Input(shape=(224, 224, 3))  # this assumes K.image_data_format() == 'channels_last'

model = InceptionV3(input_tensor=input_tensor, weights='imagenet', include_top=True)
