terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Local state on purpose: this creates the bucket remote state lives in. Keep the
  # terraform.tfstate it writes (or re-import the three resources) per account.
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      Project   = var.project
      Stack     = "${var.project}-bootstrap"
      ManagedBy = "terraform"
    }
  }
}
