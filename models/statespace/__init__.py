"""The state-space model: the conjugate dynamic linear model (filter, samplers; ``dlm``, its compiled
``kernels`` and the likelihood ``grad``), paths bound to a design (``paths``) and the ``nuts`` method."""
