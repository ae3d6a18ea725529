"""The ``clevr`` detector: detectron2 Faster R-CNN with CLEVR's attribute heads and a second stage of
crop heads (``detector.py`` loads and runs it, ``model.py`` builds it, ``config.py`` its settings);
``geometry.py`` maps pixels to CLEVR's ground plane, ``silhouettes.py`` draws visible masks, ``draw.py``
pictures detections."""
