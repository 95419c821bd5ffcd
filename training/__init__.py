"""Training the Builder: datasets, supervised fine-tuning, and reinforcement learning with and without ground truth."""
