"""The seeds' "Extract features with VGG16", on registry-core.

The seeds' code with only the import lines changed: `registry_vgg` in place
of `keras.applications`, and Keras 3's `keras.utils` in place of the removed
`keras.preprocessing.image`. The image path comes from the command line.

    python examples/seeds/extract_features_vgg16.py elephant.jpg
"""

import sys

from registry_vgg.vgg16 import VGG16
from keras.utils import img_to_array, load_img
from registry_vgg.vgg16 import preprocess_input
import numpy as np

model = VGG16(weights='imagenet', include_top=False)

img_path = sys.argv[1]
img = load_img(img_path, target_size=(224, 224))
x = img_to_array(img)
x = np.expand_dims(x, axis=0)
x = preprocess_input(x)

features = model.predict(x)
