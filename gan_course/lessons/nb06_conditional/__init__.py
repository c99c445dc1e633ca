"""Notebook 06, the conditional GAN: its widgets and figures, and the sharing study (one c-GAN against ten GANs)."""
