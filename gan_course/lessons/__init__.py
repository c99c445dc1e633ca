"""The code each notebook's lesson uses beyond the GAN itself: one module or folder per notebook, named for it
(``nb01_gradient_flow`` ... ``nb07_exercise``), with its widgets and figures. A lesson imports the GAN's modules
(``gan_course.train``, ``gan_course.metrics``, ...), never another lesson's, except ``nb02_vanilla``'s widgets."""
