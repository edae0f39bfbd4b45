"""Database pieces the apps' migrations use (the backend itself is wiring and stays in config/db)."""
