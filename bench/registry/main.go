// Command registry serves go-containerregistry's in-memory registry on
// 127.0.0.1 for bench/images.sh: it prints its address and serves until
// killed.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("failed to listen on %s: %v", *addr, err)
	}
	fmt.Println(ln.Addr().String())
	os.Stdout.Sync()
	quiet := log.New(os.Stderr, "", 0)
	quiet.SetOutput(discard{})
	log.Fatal(http.Serve(ln, registry.New(registry.Logger(quiet))))
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
