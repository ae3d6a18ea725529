"""The ``coco`` detector for photos: SSD-MobileNet-v2 (COCO's 80 classes) run by OpenCV
(``detector.py``), box colours (``colors.py``) and the question-guided closer look over tiles
(``closer_look.py``)."""
