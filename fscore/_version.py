"""The version of fscore, recorded beside every result."""
__version__ = "0.1.0"
