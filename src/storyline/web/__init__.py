"""The web reader: page routes, templates, static assets, and the HTML/SVG builders they use."""
