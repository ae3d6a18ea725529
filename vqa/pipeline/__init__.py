"""The pipeline: image -> scene graph -> answer, the one composition that the CLI, the app, explain
and the notebooks call.

``scenes.SceneBuilder`` reads an image into a ``Scene`` (detector, scene graph, timings);
``ask.GraphQA`` answers a question about a scene graph (the CLEVR reasoner, or the photo answerer
for photo graphs) and keeps the attention (``Explanation``); ``batch.run_clevr_model`` answers a
whole CLEVR question file in batches for ``vqa eval --graphs gold|predicted``, resumable
(``longrun``); ``pixels.PixelQA`` answers (image file, question) pairs like ``vqa ask IMAGE Q``, for
``vqa batch`` and ``photo_eval.run_photo_benchmark`` (``vqa eval --benchmark vqav2|gqa --graphs predicted``).

Nothing is imported here, so that ``vqa eval``'s scoring mode can use ``longrun`` without torch:
import from the modules (``from vqa.pipeline.scenes import SceneBuilder``).
"""
