// Command genkey writes an unencrypted OpenPGP private key for demos and
// tests, made by signing.Generate.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/slipway-dev/slipway/signing"
)

func main() {
	name := flag.String("name", "slipway test", "user id name")
	email := flag.String("email", "test@slipway.invalid", "user id email")
	out := flag.String("o", "release.asc", "output file (mode 0600)")
	flag.Parse()
	key, err := signing.Generate(*name, *email, time.Now().UTC())
	if err == nil {
		err = os.WriteFile(*out, key, 0o600)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genkey:", err)
		os.Exit(1)
	}
}
