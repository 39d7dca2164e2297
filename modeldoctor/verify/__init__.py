"""fix --verify: cures tried on copies under several seeds, kept only when reruns prove them.

`loop` runs the rounds (treat one finding, run the trials, re-diagnose),
`judgement` decides each trial's verdict, `schedule` keeps the trials in
flight (sent in batches, collected, cancelled), `trials` is the runner
interface and the local pool, `ray_runner` the Ray one (imported only when
asked for), `runners` picks one from the options.
"""

from modeldoctor.verify.judgement import finding_measure, judge, target_measure, treatable, weaker
from modeldoctor.verify.loop import Verifier
from modeldoctor.verify.trials import TRIAL_PREFIX

__all__ = ["TRIAL_PREFIX", "Verifier", "finding_measure", "judge", "target_measure", "treatable", "weaker"]
