"""Throwaway test hosts: Debian chroots in network namespaces, reached over real SSH."""
