"""The seeds' "Extract features from an arbitrary intermediate layer with VGG19", on registry-core.

The seeds' code with only the import lines changed: `registry_vgg` in place
of `keras.applications`, and Keras 3's `keras.utils` in place of the removed
`keras.preprocessing.image`. The image path comes from the command line.

    python examples/seeds/intermediate_layer_vgg19.py elephant.jpg
"""

import sys

from registry_vgg.vgg19 import VGG19
from keras.utils import img_to_array, load_img
from registry_vgg.vgg19 import preprocess_input
from keras.models import Model
import numpy as np

base_model = VGG19(weights='imagenet')
model = Model(inputs=base_model.input, outputs=base_model.get_layer('block4_pool').output)

img_path = sys.argv[1]
img = load_img(img_path, target_size=(224, 224))
x = img_to_array(img)
x = np.expand_dims(x, axis=0)
x = preprocess_input(x)

block4_pool_features = model.predict(x)
