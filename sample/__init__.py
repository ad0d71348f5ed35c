"""Sample model data (Wisconsin breast cancer, bundled with scikit-learn) and the seeding command."""
