"""storyline: raw news articles in, followable stories out — every fact traced to its sentence."""

__version__ = "0.1.0"
