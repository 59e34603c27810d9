"""Client media (uploaded images and videos) kept for the jobs that need them."""
