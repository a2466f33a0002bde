"""``python -m mnemonet.demo``: mnemonet's demonstration.

For now this runs the replay tour (:mod:`mnemonet.replay_demo`); the continual-learning agent's demo replaces it.
"""
from .replay_demo import main

if __name__ == "__main__":
    main()
