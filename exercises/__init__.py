"""The graded exercises. Fill in each stub, then run ``python -m autograder check``.

* ``exercises.adam`` - exercise ``adam``: ``adam_update`` (NumPy) and the ``Adam`` / ``AdamW`` optimizers.
* ``exercises.dropout`` - exercise ``dropout``: ``dropout`` (NumPy) and the ``Dropout`` module.
* ``exercises.early_stopping`` - exercise ``early_stopping``: the ``EarlyStopping`` class.
"""
