// Package volume keeps rrun's named volumes: one directory per volume
// under <data dir>/volumes, laid out as docker's local driver does
// (<name>/_data). It is plain files and must not import plugin code.
package volume
