"""Text handling shared by translation and alignment: decoding, cleanup, structure, segmentation."""
