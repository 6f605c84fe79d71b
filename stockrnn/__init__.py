"""stockrnn: stock trend forecasting with stacked recurrent networks, honest about its skill.

Stages, one module each, data flowing one way:
source (sources) -> validate -> windows (windows) -> model -> train -> forecast / metrics -> plot / store,
with the command line (cli) on top. Heavy libraries (tensorflow, matplotlib) are imported lazily.
"""

__version__ = "0.1.0"
