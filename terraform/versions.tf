terraform {
  # 1.11: S3 native state locking (use_lockfile) and write-only arguments.
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Partial configuration: bucket, key and region come from environments/<ws>.s3.tfbackend.
  backend "s3" {}
}
