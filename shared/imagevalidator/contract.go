package imagevalidator

// ASSUMPTIONS. This file is the one place that holds what this package
// assumes about the image validator's private API. The client and the fake
// (imagevalidatortest) both read it, so a change here changes both.
//
//   - Authentication is OAuth 2.0 client credentials (RFC 6749 section
//     4.4) at IMAGE_VALIDATOR_TOKEN_URL, the client authenticating with
//     HTTP Basic (client_secret_basic); the token is a bearer token with
//     expires_in.
//   - Classification is POST PathClassify with up to MaxImagesPerRequest
//     images, answered 200 with one result per image id.
//   - Errors are {"code": "...", "message": "..."}.

// PathClassify is POSTed with a ClassifyRequest, relative to IMAGE_VALIDATOR_BASE_URL.
const PathClassify = "/v1/classifications"

// MaxImagesPerRequest bounds the images of one classification request.
const MaxImagesPerRequest = 16

// Classifications the validator answers.
const (
	ClassificationApproved = "approved"
	ClassificationRejected = "rejected"
)

// WireImage is one image to classify.
type WireImage struct {
	// ID is the caller's id of the image, repeated in its result.
	ID string `json:"id"`
	// URL is where the validator fetches the image.
	URL string `json:"url"`
	// ImageType is the print image type (CPOD, CYO, STD).
	ImageType string `json:"image_type,omitempty"`
}

// ClassifyRequest is the body of POST PathClassify.
type ClassifyRequest struct {
	Images []WireImage `json:"images"`
}

// WireResult is the validator's verdict on one image.
type WireResult struct {
	ID             string   `json:"id"`
	Classification string   `json:"classification"`
	Reasons        []string `json:"reasons,omitempty"`
}

// ClassifyResponse is the body of a 200 to POST PathClassify.
type ClassifyResponse struct {
	Results []WireResult `json:"results"`
}

// WireError is the body of an error answer.
type WireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}
