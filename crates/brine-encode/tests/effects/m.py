# The module the pickles of gen_effects.py name as `m`: the classes a loader needs are here
# (tests/effects.rs loads brine's conversions in CPython with this folder on sys.path);
# gen_effects.py sets the others on it.
import copyreg


class NewEx:
    # `copyreg.__newobj_ex__(cls, args, kwargs)` from __reduce_ex__ at every protocol, with
    # a state: NEWOBJ_EX from protocol 4, `functools.partial(cls.__new__, cls, *args,
    # **kwargs)()` at 2 and 3, the REDUCE itself at 0 and 1.
    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self.args = args
        self.kwargs = kwargs
        return self

    def __reduce_ex__(self, protocol):
        return (copyreg.__newobj_ex__, (NewEx, self.args, self.kwargs), self.__dict__.get("state"))

    def __setstate__(self, state):
        self.state = state
