"""Notebook 02, the vanilla GAN: the equilibrium toy, the latent space, the training widgets."""
