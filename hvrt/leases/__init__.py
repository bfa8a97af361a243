"""Host leases that every hvrt process using one lab respects.

Inside one process the scheduler (:mod:`hvrt.scheduler`) never gives a host to two
scenarios; this package makes the same true across processes -- two ``hvrt run`` on
one runner host, or the runner minions a Salt orchestrate fans out to -- through a
tooz coordination service (``lab.coordination``, ``$HVRT_COORDINATION``, or a
``file://`` folder of the runner host). :mod:`hvrt.leases.url` checks and resolves
the URL without importing tooz (the config loader uses it);
:mod:`hvrt.leases.service` holds the leases and tells who holds a host;
:mod:`hvrt.leases.drivers` evens out what differs between tooz drivers (etcd);
:mod:`hvrt.leases.testing` starts a real Redis and etcd for tests (docs/leases.md).
"""
