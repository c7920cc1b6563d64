"""Stage 3, spatial: render mono sources at 3D positions to loudspeaker, binaural and ambisonic audio."""
