"""HTTPS for local origins: devserve's own name-constrained CA, its short-lived leaf certificates
(issued per name on demand, through SNI), and installing the CA where browsers look for it."""
