"""What a fake remembers: the clock, the image store, quotas, faults, the journal, the
gallery and the configuration, in this process's memory or shared on Redis."""
