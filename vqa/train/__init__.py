"""Training: ``vqa train reasoner | photo-reasoner | detector`` rebuild the shipped weights in ``weights/``.

``reasoner.py`` (CLEVR reasoner on generated and shared questions), ``photo_reasoner.py`` (the
reasoner for photo graphs, on the photo question engine), ``detector.py`` (the CLEVR detector on
renders and real images, with ``clevr_data.py`` its data and ``detector_eval.py`` its scoring).
Each writes ``<out>.safetensors``, ``.json`` and the model card ``.md`` through ``vqa.weights``.
"""
