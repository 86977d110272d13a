package sfu

import "slices"

// videoLayers are leg's video up tracks, lowest layer first.
func videoLayers(leg Leg) []*UpTrack {
	var out []*UpTrack
	for _, u := range leg.Ups() {
		if u.Kind() == Video {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b *UpTrack) int { return a.Layer() - b.Layer() })
	return out
}

// pickLayer chooses the layer to forward: the wanted one if it is flowing
// and fits budget (bits/s, 0 = none), else the nearest lower one that does,
// else the lowest flowing one. Browsers start with the low layer and add
// higher ones as their bandwidth estimate grows (and drop them when it
// shrinks), so a layer that is not flowing must not be chosen. Before
// anything has been measured the lowest layer gives the quickest picture.
func pickLayer(layers []*UpTrack, want, budget int) *UpTrack {
	if len(layers) == 0 {
		return nil
	}
	if len(layers) == 1 {
		return layers[0]
	}
	want = max(0, min(want, len(layers)-1))
	for i := want; i >= 0; i-- {
		l := layers[i]
		if l.Flowing() && (budget <= 0 || l.Bitrate() <= budget || i == 0) {
			return l
		}
	}
	for _, l := range layers {
		if l.Flowing() {
			return l
		}
	}
	return layers[0]
}
