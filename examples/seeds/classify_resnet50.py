"""The seeds' "Classify ImageNet classes with ResNet50", on registry-core.

The seeds' code with only the import lines changed: `registry_resnet` in place
of `keras.applications`, and Keras 3's `keras.utils` in place of the removed
`keras.preprocessing.image`. The image path comes from the command line.

    python examples/seeds/classify_resnet50.py elephant.jpg
"""

import sys

from registry_resnet.resnet50 import ResNet50
from keras.utils import img_to_array, load_img
from registry_resnet.resnet50 import preprocess_input, decode_predictions
import numpy as np

model = ResNet50(weights='imagenet')

img_path = sys.argv[1]
img = load_img(img_path, target_size=(224, 224))
x = img_to_array(img)
x = np.expand_dims(x, axis=0)
x = preprocess_input(x)

preds = model.predict(x)
# decode the results into a list of tuples (class, description, probability)
# (one such list for each sample in the batch)
print('Predicted:', decode_predictions(preds, top=3)[0])
# Predicted: [(u'n02504013', u'Indian_elephant', 0.82658225), (u'n01871265', u'tusker', 0.1122357), (u'n02504458', u'African_elephant', 0.061040461)]
