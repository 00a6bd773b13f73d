"""Round tasks: opening and closing rounds on time, notifications."""
