// Package join is the Go side of the session holder's C constructor
// (join_linux.c): the constructor runs before the Go runtime starts
// threads, plays `rrun __holder`, or joins a running holder's user and
// mount namespaces for a command of the warm path; this package reports
// what it did. It must import nothing of rrun: it is linked into every
// role of the binary.
package join
