"""GAN Explorer: train, watch and explore GANs on MNIST."""
__version__ = "0.1.0"
