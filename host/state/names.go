package state

import (
	"crypto/rand"
	"math/big"
)

// Docker-style random names: adjective_surname.
var (
	adjectives = []string{"admiring", "bold", "brave", "clever", "dazzling", "eager", "elated", "focused",
		"gallant", "happy", "jolly", "keen", "loving", "modest", "nifty", "optimistic", "quirky", "relaxed",
		"serene", "sharp", "stoic", "tender", "upbeat", "vibrant", "wizardly", "youthful", "zealous"}
	surnames = []string{"archimedes", "babbage", "curie", "darwin", "euclid", "fermat", "galileo", "hopper",
		"hypatia", "kepler", "lamarr", "lovelace", "meitner", "newton", "noether", "pascal", "ritchie",
		"shannon", "thompson", "torvalds", "turing", "wozniak"}
)

// RandomName returns a docker-style name; the caller retries on collision.
func RandomName() string {
	return pick(adjectives) + "_" + pick(surnames)
}

func pick(list []string) string {
	n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(list))))
	return list[n.Int64()]
}
