// Command udpecho answers every UDP datagram on the port given as its only
// argument with the same bytes: busybox's nc has no UDP, so the network
// tests bind-mount this static binary into a busybox container.
package main

import (
	"net"
	"os"
)

func main() {
	c, err := net.ListenPacket("udp", ":"+os.Args[1])
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString("listening\n")
	buf := make([]byte, 65536)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			os.Exit(1)
		}
		_, _ = c.WriteTo(buf[:n], from)
	}
}
