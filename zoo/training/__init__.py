"""Training: configs, schedules, optimizers, the train step and run dirs."""
