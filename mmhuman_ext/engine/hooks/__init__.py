from .average_log_vars_hook import AverageLogVarsHook

__all__ = ['AverageLogVarsHook']
